"""Ingestion: sources -> audio -> word-timed transcripts -> repunctuation -> summaries."""
