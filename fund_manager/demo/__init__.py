"""The demo: the Herne integration fund of the seed document, replayed through the use cases.

A program of its own on top of the house (it calls the workflows like any interface does):
``data`` holds the facts, ``seeder`` and ``rounds`` replay them, ``seed_demo`` runs them.
"""
