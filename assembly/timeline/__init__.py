"""An organisation's timeline: what it met about, decided and committed to, year by year."""
