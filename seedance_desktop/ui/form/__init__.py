"""The request form: built from the model spec, with its fields, media lists and prompt editor."""
