"""The expert's route app: their day, status changes from the road, their calendar feed."""
