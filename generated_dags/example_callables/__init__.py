"""Python callables used by the example specs.

Airflow puts the dags folder on ``sys.path``, so a package inside it can be
imported by every DAG file. ``.airflowignore`` keeps Airflow from parsing this
folder for DAGs. Specs name these functions as ``example_callables.hello:print_world``.
"""
