"""The one door between the headless core and the surfaces (the console and the CLI).

Typed and headless (no Textual): the filters (:class:`FilterSpec`) and the threshold grammar,
the week resolver, the text vocabulary, the headline numbers and the console's session all live
here, so every surface shows a number computed — and worded — in one place.
"""
