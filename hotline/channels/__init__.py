"""Channel adapters: turn a web, SMS or voice request into a turn for the conversation core."""
