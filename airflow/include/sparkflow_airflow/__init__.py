"""Helpers the SparkFlow DAGs import inside their tasks: HTTP clients, pure planning logic."""
