"""The league as stored and kept fresh: snapshot rows (`snapshots`), read back as a
League (`stored`), recomputed when records change (`recompute`), and the row shapes of
the `league` command and exports (`rows`)."""
