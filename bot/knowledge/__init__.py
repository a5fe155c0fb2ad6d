"""Knowledge: ingest (load, chunk, embed, upsert) apart from retrieval and answering."""
