"""nbgrader configuration for this course: headless, from this folder.

The course root is this repository: ``source/<ps>/<ps>.ipynb`` come from
``autograder build``, and nbgrader writes ``release/``, ``submitted/``,
``autograded/`` and ``feedback/`` beside them.  No Jupyter server is needed:
everything runs from the command line (``nbgrader generate_assignment``,
``nbgrader autograde``, ``nbgrader generate_feedback``, ``nbgrader export``).

``nbgrader autograde`` grades through the sandboxed engine: ``SandboxGrade``
takes the place of nbgrader's ``Execute``, so no submitted code runs in a
kernel, and every notebook gets the points ``autograder grade`` gives it.
"""
import os

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

from autograder.nbgrader_grading import autograde_preprocessors

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "optimization-in-deep-learning"
c.CourseDirectory.root = os.environ.get("NBGRADER_COURSE_ROOT", os.path.dirname(os.path.abspath(__file__)))

# Autograde in the sandbox, not in a kernel (see autograder/nbgrader_grading.py).
c.Autograde.autograde_preprocessors = autograde_preprocessors()
# A call of a student's function that runs longer than this scores as a failed test.
c.SandboxGrade.call_timeout = 10

# Feedback shows the test cells without their hidden part.
c.ClearHiddenTests.enabled = True
c.GenerateFeedback.preprocessors = [ClearHiddenTests, GetGrades, CSSHTMLHeaderPreprocessor]
