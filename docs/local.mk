# docs/: the documents no other part installs.
dist_doc_DATA += docs/BASELINE.md docs/HACKING.md docs/CLIENTS.md
