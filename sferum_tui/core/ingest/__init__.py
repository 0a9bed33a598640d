"""Reading the weekly files: the reader, periods, cell values and header aliases."""
