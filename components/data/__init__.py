"""Data: the Postgres operator, Postgres clusters and their backup buckets."""
