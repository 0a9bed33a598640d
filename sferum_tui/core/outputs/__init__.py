"""What leaves the tool: exports (csv, xlsx, md, json)."""
