"""The catalog builder: generates ``graphmask/catalog/layers.json`` from the installed Keras.

A development tool, run as ``python -m graphmask.catalog.build``; the check
path never imports it (it imports Keras).  Its modules, in the order data
flows through them:

* ``categories`` -- each layer's category, and whether masks mean anything for it;
* ``curated`` -- hand-curated facts: tensor-input counts, mask rules, run-time facts;
* ``probe_plan`` -- how each layer is built and fed for the experiments;
* ``probe`` -- calls real Keras layers on masked inputs and records what happened;
* ``judge`` -- turns the observations into rules and cross-checks the curated ones;
* ``generate`` -- assembles ``layers.json`` (and ``--check`` for staleness).
"""
