"""Custom Rasa graph components of the hotline assistant."""
