"""`assembly bench ...`: benchmarks that start real servers and drive real Socket.IO clients
(`vote`: a voting burst; `workshop`: a workshop board filling up while it is grouped). Shared
parts in common.py."""
