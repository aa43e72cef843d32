#!/usr/bin/env bash
# Runs once, when the postgres image initialises an empty data volume: Airflow's metadata database
# and its role (AIRFLOW_DB, AIRFLOW_DB_USER, AIRFLOW_DB_PASSWORD — the native stack's names).
# SparkFlow's own role, database and migrations are the init service's job (deploy/docker/init).
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v db="$AIRFLOW_DB" -v user="$AIRFLOW_DB_USER" -v password="$AIRFLOW_DB_PASSWORD" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"user";
SQL
