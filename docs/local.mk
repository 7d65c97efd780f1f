# docs/: the documents no other part installs.
dist_doc_DATA += docs/BASELINE.md docs/HACKING.md docs/CLIENTS.md
# The report page as docs/INTERPRETING_RESULTS.md shows it.
dist_doc_DATA += docs/report.png docs/report-clients.png
