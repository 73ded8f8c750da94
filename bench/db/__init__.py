"""`python -m bench.db`: a million tickets — seed a database of each engine, measure ec112's ticket queries."""
