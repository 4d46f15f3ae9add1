"""A multilingual intent classifier: TF-IDF word and character n-grams with a linear SVM.

Why not DIET: the assistant learns twelve languages from ~50 phone-style examples per intent each,
with no pretrained embeddings (nothing is fetched from outside the project). On the project's held-out split (every
5th example per language and intent) DIET from scratch reached macro-F1 0.76 and Rasa's
LogisticRegressionClassifier on count features 0.87, while this reaches about 0.91 and trains in
seconds instead of minutes. Three views of the text: words and word pairs with diacritics
stripped (people often type without them), character n-grams with diacritics stripped, and
character n-grams as written (ă/ş or і/ї tell languages and words apart when present).

Confidence: a softmax over the SVM's decision values (``confidence_scale`` sharpens it), so the
FallbackClassifier threshold and the intent ranking keep their meaning.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

import joblib
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_pipeline, make_union
from sklearn.svm import LinearSVC

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)
MODEL_FILE = "tfidf_svm.joblib"


def build_pipeline(c: float, random_state: int):  # type: ignore[no-untyped-def]
    features = make_union(
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, strip_accents="unicode"),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 5), sublinear_tf=True, min_df=2, strip_accents="unicode"),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 5), sublinear_tf=True, min_df=2),
    )
    return make_pipeline(features, LinearSVC(C=c, random_state=random_state))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfSvmIntentClassifier(IntentClassifier, GraphComponent):
    """Intent classifier over the raw message text (needs no featurizer before it)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"C": 0.5, "confidence_scale": 4.0, "ranking_length": 10, "random_state": 2026}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 pipeline: Any = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.pipeline = pipeline

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TfidfSvmIntentClassifier":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if len({e.get(INTENT) for e in examples}) < 2:
            logger.warning("TfidfSvmIntentClassifier needs at least two intents; not trained")
            return self._resource
        self.pipeline = build_pipeline(self.config["C"], self.config["random_state"])
        self.pipeline.fit([e.get(TEXT) for e in examples], [e.get(INTENT) for e in examples])
        with self._model_storage.write_to(self._resource) as model_dir:
            joblib.dump(self.pipeline, model_dir / MODEL_FILE)
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "TfidfSvmIntentClassifier":
        try:
            with model_storage.read_from(resource) as model_dir:
                pipeline = joblib.load(model_dir / MODEL_FILE)
        except (ValueError, FileNotFoundError):
            logger.warning("no trained TfidfSvmIntentClassifier in the model; intents will be empty")
            pipeline = None
        return cls(config, model_storage, resource, pipeline)

    def process(self, messages: List[Message]) -> List[Message]:
        if self.pipeline is None:
            return messages
        texts = [m.get(TEXT) or "" for m in messages]
        scores = np.atleast_2d(self.pipeline.decision_function(texts))
        classes = self.pipeline.classes_
        for message, row in zip(messages, scores):
            logits = row * self.config["confidence_scale"]
            probs = np.exp(logits - logits.max())
            probs /= probs.sum()
            order = np.argsort(-probs)
            ranking = [{"name": str(classes[i]), "confidence": float(probs[i])} for i in order]
            message.set("intent", ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking[: self.config["ranking_length"]], add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
