"""The knowledge base: one search over meetings, agendas, proposals, decisions, workshop topics
and commitments, Spanish-aware, only ever over what the reader may read."""
