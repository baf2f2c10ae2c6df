"""Stage 1, load: paths in, documents with positions out.

Takes the paths a command names and the project's settings (:mod:`.config`); gives the spec
files among them (:mod:`.discover`), each read as a YAML 1.2 document that knows the line and
column of every key and value (:mod:`.document`), with the shared ``_defaults.yaml`` of its
folders merged in (:mod:`.defaults`). Every file a spec refers to is read through one
containment check (:mod:`.files`, :mod:`.references`). Nothing here judges a spec: that is
:mod:`dagfactory.check`.
"""
