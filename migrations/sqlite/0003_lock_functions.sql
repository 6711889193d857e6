-- Nothing to do on SQLite: the PostgreSQL migration of this version adds server-side
-- functions that start a write in one round trip; SQLite runs in the process and holds its
-- write lock from BEGIN IMMEDIATE, before any read.
SELECT 1;
