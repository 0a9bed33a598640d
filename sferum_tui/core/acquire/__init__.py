"""Getting the weekly files: fetching from URLs and public cloud folders."""
