"""Question answering: the question understood once, passages retrieved, an answer composed and cited.

Nothing here imports FastAPI or Starlette: `QAService` (qa.py) is the one entry point, used alike by
the HTTP layer (`service.web`), the CLI and the evaluation.
"""
