"""The conversation core: the one path every channel's turn goes through."""
