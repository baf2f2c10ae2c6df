"""dagfactory: compile declarative YAML pipeline specs into static Airflow DAG files."""

__version__ = "0.1.0"
