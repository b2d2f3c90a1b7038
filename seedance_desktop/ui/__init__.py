"""Qt widgets, item models, the player, dialogs and the one async/Qt controller."""
