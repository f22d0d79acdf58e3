-- The catalogue's database, beside Prefect's (POSTGRES_DB in compose.yaml).
CREATE DATABASE podpipe_catalog OWNER podpipe;
