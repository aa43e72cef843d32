"""Helpers the SparkFlow DAGs import inside their tasks: contracts mirror, HTTP clients, pure planning logic."""
