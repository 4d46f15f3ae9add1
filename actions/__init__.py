"""Custom actions of the hotline's Rasa assistant (run by rasa-sdk in .venv-rasa).

Every message these actions send is a custom payload naming a message key (docs/CONTRACTS.md), so
the actions never hold words a person reads and are the same for every language.
"""
