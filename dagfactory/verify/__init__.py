"""Stage 5 (optional), verify: emitted files in, diagnostics from a real Airflow out.

Takes the compiled specs of :mod:`dagfactory.emit`, loads their DAG files in the installed
Airflow (a subprocess; this process never imports Airflow) and maps what Airflow refuses back
to the spec's file:line:col (:mod:`.airflow`). What ``dagfactory check`` runs.
"""
