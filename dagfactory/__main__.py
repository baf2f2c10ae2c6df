from dagfactory.cli import run

run()
