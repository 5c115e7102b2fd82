"""The parts of bench/compare.py: workloads (what runs), runner (running the programs and probing the
machine), measures (the dlib, SGEMM-rate and peak-memory measurements) and tables (cells, rows and
tables, plain and Markdown)."""
