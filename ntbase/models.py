"""Import every domain's models so metadata (Alembic, create_all) sees all tables."""
from ntbase.accounts.models import AppointmentPeriod, LearnerProfile, Notice, User  # noqa: F401
from ntbase.attendance.models import AssessmentResult, Attendance  # noqa: F401
from ntbase.bases.models import (  # noqa: F401
    BaseStatusEvent,
    DisclosureVersion,
    FeeItem,
    Location,
    Manager,
    Room,
    Teacher,
    TrainingBase,
)
from ntbase.bases.seal import Seal  # noqa: F401
from ntbase.catalog.models import Course, CourseChange, CourseFeeLine, CourseSession  # noqa: F401
from ntbase.certificates.models import Certificate, CertificateDocument, SigningKey  # noqa: F401
from ntbase.certificates.status_list import StatusListEntry  # noqa: F401
from ntbase.employers.models import (  # noqa: F401, E402
    Employer,
    EmployerEvent,
    EmployerGroup,
    FeeRecovery,
    LongTrainingConsent,
    Membership,
    MembershipEvent,
    PlanEvent,
    PlanItem,
    PlanVersion,
    ReportEvent,
    ReportVersion,
    SelfStudyRecord,
    TrainingPlan,
    YearlyReport,
)
from ntbase.enrollment.models import Enrollment, EnrollmentEvent, EnrollmentGroup  # noqa: F401
from ntbase.hours.models import (  # noqa: F401
    Evidence,
    ExemptionEvent,
    LedgerEntry,
    Policy,
    PolicyChange,
    RoundYear,
    Statement,
)
from ntbase.kernel.audit import AuditLog  # noqa: F401
from ntbase.learning.models import (  # noqa: F401, E402
    Chapter,
    Exam,
    ExamAttempt,
    Lesson,
    LessonProgress,
    Playback,
    Question,
)
from ntbase.notifications.models import Delivery, NotificationPreference, SandboxSms  # noqa: F401
from ntbase.office.applicants.models import TitleApplication  # noqa: F401
from ntbase.office.bases.models import BaseAssessment  # noqa: F401
from ntbase.office.bulk.models import BulkChunk, BulkJob  # noqa: F401
from ntbase.office.complaints.models import Complaint, ComplaintAttachment, ComplaintEvent  # noqa: F401
from ntbase.office.ratings.models import CourseRating  # noqa: F401
from ntbase.office.tokens.models import ApiToken  # noqa: F401
from ntbase.payments.models import PaymentEvent, PaymentIntent, PaymentLine, Refund, WebhookEvent  # noqa: F401
