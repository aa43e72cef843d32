"""SparkFlow's PySpark jobs: batch aggregates, windowed stream stats and the tutorial baseline."""
