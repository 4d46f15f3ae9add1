"""The dialogue assistant (Rasa), reached over HTTP on loopback."""
