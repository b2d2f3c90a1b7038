"""The queue panel: the table model over the job store, its view, delegate and actions."""
