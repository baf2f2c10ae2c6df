"""dagfactory: compile declarative YAML pipeline specs into static Airflow DAG files."""
