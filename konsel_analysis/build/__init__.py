"""The build layer: the main job's tasks, their keys and manifests, and the guard."""
