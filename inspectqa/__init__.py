"""inspectqa: question answering over Ofsted inspection reports, every claim cited.

The pipeline reads top to bottom: ``corpus`` (reports in) → ``indexer`` (index directory out) →
``service`` (answers) → ``evals`` (proof). This package holds only what they share: settings,
errors and the command line.
"""

__version__ = "0.1.0"
