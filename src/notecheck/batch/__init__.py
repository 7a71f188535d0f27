"""Batch: the nightly audit and Spark. Every input note gives exactly one row, an error row if it could not be read.

The audit streams items from ``notecheck.inputs`` through a pool of worker processes (workers), each note bounded
by a time limit, into a run folder that is locked, resumable and written atomically (runfolder); ``spark`` runs the
same row function on Apache Spark (the [spark] extra). May import the checker, inputs, rules, models and errors;
its outputs are written by ``notecheck.outputs``, called from the commands.
"""
