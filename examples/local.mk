# examples/: an external client in another language (docs/CLIENTS.md),
# installed beside the example config.
dist_reliabdexample_SCRIPTS = examples/pymemcache_client.py
