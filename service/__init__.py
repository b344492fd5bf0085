"""The service: `answers/` answers questions from an index (no HTTP), `web/` serves them over HTTP;
`cli.py` holds the `serve` and `ask` commands over both."""
