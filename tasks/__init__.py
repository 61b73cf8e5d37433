"""Pipeline stages: pure functions over batches of documents, each wrapped by a thin Prefect task."""
