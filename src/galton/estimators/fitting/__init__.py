"""One pipeline for fitting networks: prepare rows -> train -> finish.

The four ways rows arrive are four small modules, each a data source and a strategy:
``memory`` (arrays, tables, files read whole), ``stream`` (chunks read every epoch),
``dask`` (partitions on a cluster) and ``update`` (new rows for a fitted network). Each
resolves the training recipe in ``recipe``, trains through ``galton.training`` and ends in
``finish``, written once.
"""
