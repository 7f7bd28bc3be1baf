"""Study aids built from the lectures: quizzes whose answers are moments of them."""
