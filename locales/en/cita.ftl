# English. Every key is a text of the pages; those with { $something } get a value.

language-name = English
site-name = Appointments
skip-to-content = Skip to content
language-switch = Language
footer-accessibility = Accessibility
footer-privacy = Privacy
footer-home = Home
back = Back
continue = Continue
change = Change
error-summary-title = There is a problem

# Start
start-title = Appointments at public offices
start-lead = Book a time to do a procedure at an office: you choose the procedure, the office, the day and the time. If you already have an appointment, you can see it, change it or cancel it.
start-book = Book an appointment
start-manage = See, change or cancel my appointment
start-needs = You need your DNI, NIE or passport.

# Procedure
procedure-title = What do you need to do?
procedure-offices = { $count ->
    [one] At 1 office
   *[other] At { $count } offices
}
procedure-duration = Takes about { $minutes } minutes
procedure-bring = What to bring
procedure-choose = Choose { $name }

# Office
office-title = Which office?
office-for = Procedure: { $procedure }
office-filter-label = Search by province or town
office-filter-button = Search
office-filter-clear = Show all
office-next = First day with free times: { $date }
office-none = No free appointments in the next { $days } days
office-none-found = No office in “{ $query }” offers this procedure.
office-choose = Choose this office

# Day
day-title = Which day?
day-week = Week of { $from } to { $to }
day-previous = Previous week
day-next = Next week
day-free = { $count ->
    [one] 1 free time
   *[other] { $count } free times
}
day-full = Full
day-closed = Closed
day-holiday = Public holiday
day-not-yet = Not open for booking yet
day-not-offered = Not offered for this procedure
time-not-offered = This procedure has no appointments on that day.
day-opens = Opens { $date } at { $time }
day-draw = Given out by a draw on { $date } at { $time }
day-next-release = New appointments for this procedure are released at set times, for everyone at once. The next release is on { $date } at { $time }.
day-staff-share = Part of each day's appointments is kept for people who book by phone or at the office. Those not used are offered here { $hours } hours before.
day-past = Already passed
day-typed-label = Or type a date
day-typed-hint = For example, { $example }
day-typed-button = See the times of that day
day-bad-date = Write the date as year-month-day, for example { $example }.

# Time
time-title = At what time?
time-on = { $date }
zone-canary = Canary Islands time
time-zone-note = Canary Islands time: one hour behind mainland Spain.
time-none = There are no free times left that day.
time-other-day = Choose another day
time-taken = That time was just taken. Choose another one; these are the nearest.
time-choose = Book { $time }
time-hold-note = When you choose a time we keep it for you for a few minutes while you fill in your details.

# Details
details-title = Your details
details-held = We are keeping this time for you until { $time }.
details-held-extend = I need more time
details-held-extended = We are keeping the time a few more minutes, until { $time }.
details-hold-expired = The time we kept for you has run out. We kept what you typed: if the time is still free, you can go on.
name-label = Full name
document-type-label = Type of document
document-type-dni = DNI
document-type-nie = NIE (foreigner's card)
document-type-passport = Passport
document-label = Document number
document-hint = With the letter. For example, 12345678Z or X1234567L.
email-label = Email (optional)
email-hint = Only to send you the appointment. We use it for nothing else.
phone-label = Phone (optional)
phone-hint = Only to tell you if the office has to change your appointment.
details-privacy = We use these details only for your appointment and delete them { $days } days after it. <a href="{ $link }">How we handle your data</a>.
error-name-empty = Write your full name.
error-name-long = The name is too long (200 letters at most).
error-document-empty = Write your document number.
error-document-letter = The letter does not match the number. Check the document.
error-document-format = That number does not look like a DNI or an NIE. A DNI has 8 digits and a letter; an NIE starts with X, Y or Z.
error-document-passport = A passport number has 5 to 20 letters and digits.
error-email = That email does not look right. Leave it empty if you prefer.
error-phone = That phone number does not look right: write 6 to 20 digits.

# Check
check-title = Check your appointment
check-procedure = Procedure
check-office = Office
check-when = Day and time
check-name = Name
check-document = Document
check-email = Email
check-phone = Phone
check-none = Not given
check-confirm = Confirm the appointment
check-limit-procedure = You already have an appointment for this procedure. Look it up with your locator to change or cancel it.
check-limit-reschedules = This appointment has already been changed as many times as allowed. You can keep its time, or cancel it and book again.
check-limit-waiting = This procedure cannot be booked again with this document yet: after a missed appointment, or after several cancellations, there is a waiting period. Try again in a few days, or ask at the office.
check-limit-overlap = You already have another appointment at that time. Choose another time, or look that appointment up with your locator to change or cancel it.

# Confirmation
done-title = Appointment confirmed
done-locator = Your locator
done-locator-hint = Keep it: with it and your document you can see, change or cancel the appointment.
done-when = { $date }, at { $time }
done-where = Where
done-bring = What to bring
done-calendar = Add to my calendar
done-print = Print
done-change = To change or cancel it, go to “See, change or cancel my appointment” with your locator and your document.
done-manage = See, change or cancel my appointment

# Manage
manage-title = Your appointment
manage-find-title = Find my appointment
manage-find-lead = Type the locator we gave you when you booked, and your document.
locator-label = Locator
locator-hint = 8 letters and digits, for example 7K3MZQ2D.
manage-find-button = Find my appointment
manage-not-found = There is no appointment with that locator and that document. Check both.
error-locator-empty = Write the locator.
manage-status = Status
status-booked = Confirmed
status-checked_in = At the office
status-completed = Done
status-no_show = Did not come
status-cancelled = Cancelled
manage-reschedule = Change the day or time
manage-cancel = Cancel the appointment
manage-moved = We have changed your appointment. Your locator is the same.
manage-reschedule-title = Choose the new day
manage-reschedule-time-title = Choose the new time
manage-reschedule-choose = Change to { $time }
manage-reschedule-note = When you choose a time, your appointment moves to it; the locator stays the same.
manage-cancel-title = Are you sure you want to cancel the appointment?
manage-cancel-lead = The time will be free for someone else. If you need it again, you will have to book a new appointment.
manage-cancel-confirm = Yes, cancel the appointment
manage-cancel-keep = No, keep the appointment
cancelled-title = Appointment cancelled
cancelled-lead = Your appointment on { $date } at { $time } is cancelled.
cancelled-again = Book another appointment
manage-expired = Look your appointment up again: for your safety, the search expires after a while.

# Problems
problem-title = Something went wrong
problem-not-found-title = We cannot find this page
problem-not-found = The link may be wrong, or the page may no longer exist.
problem-rate-limited-title = Too many tries
problem-rate-limited = You made many requests in a row. Wait { $seconds } seconds and try again.
problem-busy-title = Many people are here right now
problem-busy = We could not serve you. Wait { $seconds } seconds and try again; you have lost nothing.
problem-unavailable-title = Service unavailable
problem-unavailable = We cannot serve you right now. Try again in a few seconds; nothing was changed.
problem-expired-title = This page has expired
problem-expired = For your safety, forms expire. Start again from the beginning.
problem-other = Try again. If it keeps happening, call the office.
problem-reference = Error reference: { $id }
problem-home = Go to the start page

# Accessibility and privacy
accessibility-title = Accessibility statement
privacy-title = How we handle your data

# Dates
weekday-1 = Monday
weekday-2 = Tuesday
weekday-3 = Wednesday
weekday-4 = Thursday
weekday-5 = Friday
weekday-6 = Saturday
weekday-7 = Sunday
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December
date-long = { $weekday } { $day } { $month } { $year }
date-short = { $weekday } { $day } { $month }

# Accessibility statement (Royal Decree 1112/2018)
accessibility-1 = We want everyone to be able to book and manage their appointment on this website, as Royal Decree 1112/2018 on the accessibility of public sector websites requires.
accessibility-2 = Compliance status: this website fully conforms to the UNE-EN 301 549:2022 standard, which includes the WCAG 2.1 level AA guidelines. Every page is checked automatically with axe-core and walked through with the keyboard alone before each release.
accessibility-3 = It works without JavaScript, with a screen reader, with the keyboard, at 200 % zoom and on screens 320 pixels wide. The time we keep a slot for you can be extended.
accessibility-4 = If you find an accessibility problem, or need the information in another format, write to us or call your office: we will answer within 20 working days. If you are not satisfied with the answer, you can complain to the accessibility unit of the public body responsible.
accessibility-5 = This statement was prepared on 6 December 2026 and is reviewed with every release of the service.

# Privacy
privacy-1 = We ask for your name and your document so the office knows who is coming and so nobody can hold more than one appointment for the same procedure. Email and phone are optional: they are only used to send you the appointment or to tell you about a change.
privacy-2 = Your details are kept in the service's database and only the staff of your appointment's office can see them. They never appear in a web address or in the server's logs.
privacy-3 = We delete your name, document, email and phone { $days } days after the appointment. If the appointment has passed or you cancelled it, you can delete them yourself sooner.
privacy-4 = While you book, what you type is kept encrypted in a cookie in your browser, which is deleted when you close it or after half an hour unused. Another cookie remembers the language you choose. We use no advertising or analytics cookies.
privacy-5 = You can exercise your rights of access, rectification, erasure and objection with the public body responsible for the office, under the General Data Protection Regulation and Organic Law 3/2018.

# Office staff
staff-site-name = Appointments · Staff
staff-nav-label = Staff menu
staff-nav-agenda = Today's agenda
staff-nav-walk-in = Counter or phone booking
staff-nav-closures = Close the office
staff-signed-in-as = { $name } ({ $role })
staff-role-admin = administrator
staff-role-manager = manager
staff-role-agent = counter
staff-sign-out = Sign out
staff-signed-out = You have signed out. To come back, paste your staff key.
staff-sign-in-title = Sign in as office staff
staff-sign-in-lead = Paste the staff key you were given. You only need to do it once: the session then ends by itself after a few hours without use, or when you press “Sign out”.
staff-token-label = Staff key
staff-token-hint = A long line of letters and numbers. Do not share it with anyone.
staff-sign-in-button = Sign in
staff-sign-in-wrong = That key is not valid or no longer works. Check that you pasted all of it.
staff-agenda-title = Agenda
staff-office-label = Office
staff-date-label = Day
staff-show-day = Show that day
staff-day-nav = Change day
staff-previous-day = Previous day
staff-today = Today
staff-next-day = Next day
staff-day-holiday = It is a public holiday: the office is closed.
staff-day-closed = The office is closed on this day.
staff-next-label = Next:
staff-next-due = { $time } · { $name } · { $procedure } · { $desk }
staff-next-badge = Next
staff-agenda-counts = { $total ->
    [one] 1 appointment
   *[other] { $total } appointments
}, { $active } to come
staff-refresh = Refresh
staff-view-list = Show as a list
staff-view-desks = Show by desk
staff-print = Print
staff-print-title = Agenda to print
staff-agenda-empty = No appointments on this day.
staff-desk-empty = No appointments.
staff-col-time = Time
staff-col-desk = Desk
staff-col-citizen = Person
staff-col-procedure = Procedure
staff-col-status = Status
staff-col-actions = Actions
staff-col-locator = Locator
staff-status-booked = Booked
staff-status-checked_in = Arrived
staff-status-completed = Served
staff-status-no_show = Did not come
staff-status-cancelled = Cancelled
staff-action-check-in = Arrived
staff-action-check-in-who = Arrived: { $who }
staff-action-complete = Served
staff-action-complete-who = Served: { $who }
staff-action-no-show = Did not come
staff-action-no-show-who = Did not come: { $who }
staff-action-cancel = Cancel
staff-action-cancel-who = Cancel the appointment of { $who }
staff-done-check-in = { $who } has arrived.
staff-done-complete = { $who }: served.
staff-done-no-show = { $who }: marked as did not come.
staff-done-cancel = Appointment of { $who } cancelled.
staff-done-undo-check-in = { $who } is booked again (arrival undone).
staff-done-already = The appointment of { $who } had already changed. See its status in the agenda.
staff-no-show-early = { $who }: you can only mark that someone did not come once their time has passed.
staff-undo-check-in = Undo the arrival of { $locator }
staff-cancel-title = Cancel this appointment?
staff-cancel-question = The person will see the appointment cancelled, and so will their calendar. This cannot be undone.
staff-cancel-button = Yes, cancel the appointment
staff-no-show-title = Mark as did not come?
staff-no-show-question = The appointment will show “Did not come”. This cannot be undone.
staff-no-show-button = Yes, did not come
staff-keep = No, back to the agenda
staff-reason-label = Reason (optional)
staff-reason-hint = Kept in the log; the person does not see it.
staff-walk-in-title = Counter or phone booking
staff-procedure-label = Procedure
staff-procedure-choose = Choose a procedure
staff-walk-in-date-label = Another day (optional)
staff-walk-in-date-hint = Leave it empty to see the next free times.
staff-walk-in-show-times = Show free times
staff-walk-in-next-times = Next free times
staff-walk-in-times-on = Free times on { $date }
staff-walk-in-none = No free times. Try another day.
staff-walk-in-no-time = Choose a time.
staff-walk-in-name-label = Full name
staff-walk-in-document-label = Document number
staff-walk-in-phone-label = Phone (optional)
staff-walk-in-email-label = Email (optional)
staff-walk-in-book = Book the appointment
staff-walk-in-taken = That time has just been taken. Choose another.
staff-walk-in-limit-procedure = This person already has an appointment for this procedure. Find it in the agenda to change or cancel it.
staff-walk-in-limit-overlap = This person already has another appointment at that time. Choose another time.
staff-walk-in-done-title = Appointment booked
staff-walk-in-locator = Locator:
staff-walk-in-tell = Tell them or give them this paper: with the locator and their document they can see, change or cancel the appointment.
staff-walk-in-another = Another booking
staff-walk-in-to-agenda = See it in the agenda
staff-closures-title = Close the office
staff-closures-lead = Close the office for one or more days (a strike, a breakdown). Before you confirm you will see the appointments it would cancel.
staff-closure-from = First closed day
staff-closure-to = Last closed day
staff-closure-reason = Reason
staff-closure-reason-hint = The people affected will see it in the cancellation.
staff-closure-see = See which appointments would be cancelled
staff-closure-check = Check before you close
staff-closure-preview = Closing from { $from } to { $to } will cancel { $count ->
    [one] 1 appointment
   *[other] { $count } appointments
}.
staff-closure-confirm = Close and cancel the appointments
staff-closure-back = No, go back
staff-closure-done = Office closed from { $from } to { $to }. { $count ->
    [one] 1 appointment was cancelled.
   *[other] { $count } appointments were cancelled.
}
staff-closure-from-bad = Write the first day as a date.
staff-closure-to-bad = Write the last day as a date.
staff-closure-to-before = The last day cannot be before the first.
staff-closure-too-long = A closure lasts at most 366 days.
staff-closure-reason-bad = Write the reason (up to 500 characters).
staff-nav-config = Configuration
staff-col-office = Office
staff-col-why = Why
staff-config-title = Office configuration
staff-config-new = Change the configuration
staff-config-lead = Edit the text below or upload a file. Nothing changes until it has been checked; if the change would cancel appointments you will see them first.
staff-config-text = Configuration (TOML)
staff-config-text-hint = It starts as the configuration in force. Problems are shown by line number.
staff-config-file = Or upload a file
staff-config-file-hint = A .toml file. If you choose one, it is used instead of the text above.
staff-config-apply = Check and apply
staff-config-current = Configuration in force
staff-config-version = version
staff-config-none = No configuration has been stored yet
staff-config-empty = Write or upload a configuration.
staff-config-file-bad = The file is not a text file (UTF-8). Upload the .toml file itself.
staff-config-invalid = The configuration has { $count ->
    [one] 1 problem
   *[other] { $count } problems
}. Nothing was changed.
staff-config-problems = Problems to fix
staff-config-line = Line
staff-config-check = Check before you apply
staff-config-strands = This change leaves { $count ->
    [one] 1 appointment
   *[other] { $count } appointments
} without a place. Nothing has been changed yet. If you go on, they will be cancelled:
staff-config-cancel-them = Cancel { $count ->
    [one] this appointment
   *[other] these { $count } appointments
} and apply
staff-config-keep = No, keep the configuration in force
staff-config-applied = Version { $version } is now in force. { $cancelled ->
    [0] No appointment was cancelled.
    [one] 1 appointment was cancelled.
   *[other] { $cancelled } appointments were cancelled.
} { $moved ->
    [0] {""}
    [one] 1 appointment moved to another desk at the same time.
   *[other] { $moved } appointments moved to another desk at the same time.
}
staff-config-unchanged = This is already the configuration in force; nothing changed.
staff-config-strand-office_removed = The office is no longer in the configuration
staff-config-strand-service_removed = The office no longer offers the procedure
staff-config-strand-no_desk = No desk can take it at that time
staff-show-office = Show
staff-nav-feeds = Calendar links
staff-feeds-title = Calendar feed links
staff-feeds-lead = A link lets a calendar app (Google Calendar, Outlook, Thunderbird, a phone) show the office's or one desk's appointments, with the citizens' names. The app keeps its own copy, on its provider's servers for Google and Outlook: use only the calendars your organisation allows, give the link only to staff, and revoke it when it is no longer needed.
staff-feed-new = New link
staff-feed-what = Appointments shown
staff-feed-whole-office = The whole office
staff-feed-desk = Desk { $desk }
staff-feed-create = Create the link
staff-feed-created = New link created
staff-feed-once = Copy it now: for safety it is not kept and will not be shown again. If you lose it, create another and revoke this one.
staff-feed-link = Calendar link (.ics)
staff-feed-copy = Copy the link
staff-feed-copied = Link copied.
staff-feed-how = How to add it to a calendar
staff-feed-google = On a computer, open Google Calendar. Next to "Other calendars" choose "+", then "From URL". Paste the link and choose "Add calendar".
staff-feed-outlook = In Outlook on the web, open the calendar and choose "Add calendar", then "Subscribe from web". Paste the link, give it a name and choose "Import".
staff-feed-thunderbird = In the calendar, choose "New Calendar…", then "On the Network". Paste the link as the location, choose "Find Calendars" and then "Subscribe".
staff-feed-refresh = Calendar apps fetch the link again every few hours (Google up to once a day), so a change may take that long to appear.
staff-feed-live = Links in use
staff-feed-none = This office has no calendar links.
staff-feed-created-at = Created
staff-feed-revoke = Revoke
staff-feed-revoke-check = Revoke this link?
staff-feed-revoke-effect = Calendars subscribed to it will stop receiving new changes; the appointments they already copied stay there until the subscription is removed in each app. This cannot be undone.
staff-feed-revoke-confirm = Revoke the link
staff-feed-revoked = The link was revoked.
staff-nav-stats = Statistics
staff-stats-title = Statistics
staff-stats-from = From
staff-stats-to = To
staff-stats-show = Show
staff-stats-csv = Download as CSV (spreadsheet)
staff-stats-summary = From { $from } to { $to }: { $booked ->
    [one] 1 appointment
   *[other] { $booked } appointments
}, { $share } of the desks' time used.
staff-stats-booked = Booked
staff-stats-attended = Attended
staff-stats-no-show = Did not come
staff-stats-pending = Not marked yet
staff-stats-cancelled = Cancelled
staff-stats-share = Desk time used
staff-stats-by-procedure = By procedure
staff-stats-by-day = By day
staff-stats-day = Day
staff-stats-total = All procedures
staff-stats-explain = "Booked" counts every appointment made for the day, whatever happened to it. "Desk time used" is the time of the appointments not cancelled over the time the desks were open.
staff-stats-too-long = Choose at most { $days } days.
staff-nav-audit = Activity log
staff-audit-title = Activity log
staff-audit-day = Day
staff-audit-day-hint = Leave it empty to see every day.
staff-audit-day-bad = Write the day as a date, or leave it empty.
staff-audit-action = What happened
staff-audit-action-bad = Choose one of the listed actions.
staff-audit-any = All actions
staff-audit-none = Nothing matches.
staff-audit-when = When
staff-audit-who = Who
staff-audit-detail = Detail
staff-audit-pages = Pages of the log
staff-audit-newest = Newest
staff-audit-older = Older
staff-audit-actor-citizen = The citizen
staff-audit-actor-system = The system
staff-audit-actor-staff = Staff (user removed)
staff-audit-action-booked = Booked
staff-audit-action-rescheduled = Moved to another time
staff-audit-action-checked_in = Checked in
staff-audit-action-check_in_undone = Check-in undone
staff-audit-action-completed = Served
staff-audit-action-no_show = Did not come
staff-audit-action-cancelled = Cancelled
staff-audit-action-erased = Personal data erased
staff-stats-chart = Chart by day
staff-config-too-large-title = The configuration is too large
staff-config-too-large = The text and the file together may take up to 2 MB. Nothing was changed. Go back, empty the text box if you upload a file, and try again.
staff-audit-moved = From { $from } to { $to }
staff-audit-held-back = Back on sale after { $minutes } min
staff-feed-by = Created by
staff-feed-by-cli = the command line

## Appointment draw
draw-title = Appointment draw
draw-how = These days' appointments are not given first come, first served: they are drawn among the people who sign up. Signing up early or late makes no difference. Each person signs up once.
draw-when = You can sign up until { $close_date } at { $close_time }. The draw is on { $date } at { $time }.
draw-dates = Days given out: { $first } to { $last }.
draw-dates-one = Day given out: { $first }.
draw-not-yet = You cannot sign up yet: you can from { $date } at { $time }.
draw-closed = Sign-up has closed. The draw is on { $date } at { $time }.
draw-drawn = This draw has taken place. Any appointments left can be booked as usual.
draw-dates-label = Which days can you come?
draw-from-label = From
draw-to-label = To
draw-part-label = At what time can you come?
draw-part-any = Any time
draw-part-morning = In the morning (before 14:00)
draw-part-afternoon = In the afternoon (from 14:00)
draw-button = Sign me up for the draw
draw-entered-title = You are signed up for the draw
draw-entered-lead = The draw is on { $date } at { $time }. Afterwards, come back to this website to see whether you got an appointment.
draw-code-label = Your draw code is
draw-code-hint = Write it down or take a photo: with this code and your document you can see the result from any phone or computer.
draw-receipt = Receipt, for anyone who wants to check the draw
draw-receipt-draw = Draw
draw-receipt-salt = Key
draw-receipt-hash = Fingerprint of your entry
draw-receipt-hint = Before the draw, the list of entries is published without names or documents. Your entry's fingerprint is the SHA-256 of "key:document type:number".
draw-result-link = See the result of the draw
draw-result-title = Draw result
draw-result-lead = Type the code you were given when you signed up, and your document.
draw-result-other = See another entry
draw-code-field = Draw code
draw-code-field-hint = Eight letters and numbers, for example 7K3MZQ2D.
draw-result-button = See the result
draw-result-waiting = The draw has not taken place yet. It will be on { $date } at { $time }.
draw-result-assigned = You got an appointment: { $when }.
draw-result-locator = This is your appointment's locator. With it and your document you can see, change or cancel it in "My appointment".
draw-result-refused = A time was drawn for you, but it could not be booked: this document already had an appointment for this procedure, or had to wait a few days before booking another.
draw-result-none = This time no appointment was left for the days and times you chose. You can sign up for the next draw.
draw-result-priority = In the next one you will go ahead of those signing up for the first time.
draw-error-dates = Choose the days you can come: the first cannot be after the last.
draw-error-entered = There is already an entry in this draw with this document. Each person signs up once.
draw-error-limit = You cannot sign up for this draw with this document: it already has an appointment for this procedure, or has to wait a few days before booking another.
draw-error-closed = This draw no longer takes entries.
draw-error-code-empty = Type the draw code.
draw-error-not-found = We found no entry with that code and that document. Check both.

## Waiting room
queue-title = Waiting room
queue-how-title = How it works
queue-how = Appointments for this procedure open on { $date } at { $time }. From { $opens } you can enter this room. At { $time }, everyone inside gets a place in line at random: arriving earlier gives no advantage, so there is no need to hurry. People who arrive after { $time } go behind, in order of arrival. When your turn comes you can choose a date and time. There is one place per person (per document).
queue-not-yet = The waiting room is not open yet. It opens at { $opens }. Come back to this page then.
queue-closed = The waiting room is over. The appointments left are given first come, first served.
queue-join-lead = Enter the room to get your place in line.
queue-join = Enter the waiting room
queue-waiting-draw = You are in. At { $time } you will get your place in line at random. Do not close this page.
queue-place = You are number { $place } of { $total }. Your turn comes at about { $time } (in about { $minutes } minutes). Do not close this page.
queue-your-turn = It is your turn. Choose a date and time within 10 minutes; if it takes longer, come back to this page and carry on.
queue-go = Choose a date and time
queue-refresh = This page updates itself every { $seconds } seconds.
day-queue = Opens on { $date } at { $time }, with a waiting room
queue-document-hint = The document of the person who needs the appointment: your place only works for it. Example: 12345678Z

## Fairness
staff-nav-fairness = Fairness
staff-fairness-title = Fairness of releases
staff-fairness-lead = For each release of appointments in these dates: how many people signed up, who got the appointments and how fast they went. A few connections booking for many documents is a sign of resale.
staff-fairness-none = There are no releases of appointments in those dates.
staff-fairness-releases = Releases
staff-fairness-release = Release
staff-fairness-mode = How
staff-fairness-mode-first-come = First come, first served
staff-fairness-mode-room = With a waiting room
staff-fairness-mode-draw = By draw
staff-fairness-entrants = Signed up
staff-fairness-appointments = Appointments given
staff-fairness-given = { $public } online, { $staff } at the counter or by phone
staff-fairness-addresses = Connections
staff-fairness-documents = Documents per connection (most)
staff-fairness-top = Taken by the busiest 1 % of connections
staff-fairness-sold-out = Gone in
staff-fairness-seconds = { $seconds } s
staff-fairness-cancelled = Cancelled by the person
staff-fairness-chart = Share of each release's appointments taken by the busiest 1 % of connections
staff-fairness-explain = "Signed up" counts a draw's entries or a waiting room's places (places are kept two days). Connections are stored as keyed digests and erased with personal data, so old releases do not have them. "Gone in" is the time until all the appointments meant for the public had been booked.
staff-fairness-cancelled-back = { $count } (back on sale after { $minutes } min on average)
staff-fairness-bar = { $procedure } · { $when } · { $mode } · { $count } appointments online

## Messages to citizens (e-mail). Plain words; never the document number.
mail-greeting = Hello { $name },
mail-subject-booked = Appointment confirmed: { $procedure }, { $date } at { $time }
mail-subject-rescheduled = Appointment changed: { $procedure }, now { $date } at { $time }
mail-subject-cancelled = Appointment cancelled: { $procedure }, { $date } at { $time }
mail-subject-no_show = You missed your { $procedure } appointment
mail-subject-reminder = Reminder: { $procedure } appointment, { $date } at { $time }
mail-lead-booked = Your appointment is confirmed. We will see you at the office.
mail-lead-rescheduled = Your appointment has a new day or time. Here are the new details. The locator is the same.
mail-lead-rescheduled-from = It was: { $date } at { $time }.
mail-lead-cancelled = Your appointment is cancelled. You do not need to go to the office.
mail-lead-no_show = You did not come to your appointment. If you still need the procedure, book a new appointment.
mail-lead-reminder = This is a reminder of your appointment. If you cannot go, cancel it so someone else can use the time.
mail-reason = Reason: { $reason }
mail-procedure = Procedure
mail-office = Office
mail-address = Address
mail-day = Day
mail-time = Time
mail-locator = Locator
mail-bring = What to bring
mail-bring-always = Your identity document (DNI, NIE or passport).
mail-manage = To see, change or cancel the appointment, open this page with your locator and your document:
mail-book-again = To book a new appointment:
mail-calendar-request = The attached file adds the appointment to your calendar and moves it if it changes.
mail-calendar-cancel = The attached file removes the appointment from your calendar.
mail-footer = This e-mail is sent automatically. Please do not reply to it.

## Staff: messages that could not be sent
staff-nav-messages = Unsent messages
staff-messages-title = Unsent messages
staff-messages-lead = Messages to citizens (e-mail or SMS gateway) that could not be sent. A 550 or another 5xx code usually means a mistyped address: find the appointment by its locator in the agenda and reach the person another way. If many failed at once, check the mail server settings and send them again. They are kept for 30 days.
staff-messages-none = There are no unsent messages.
staff-messages-what = Message
staff-messages-channel = Channel
staff-messages-locator = Locator
staff-messages-when = Due at
staff-messages-attempts = Attempts
staff-messages-error = Last error (from the server)
staff-messages-retry = Send again
staff-messages-queued = The message will be sent again in a few seconds.
staff-messages-event-booked = Confirmation
staff-messages-event-rescheduled = Appointment changed
staff-messages-event-cancelled = Cancellation
staff-messages-event-no_show = Missed appointment
staff-messages-event-reminder = Reminder
staff-messages-channel-email = E-mail
staff-messages-channel-webhook = Webhook (SMS)
mail-subject-link = Your appointments: the link you asked for
mail-lead-link = With this link you can see all your appointments, in every office, and add them to the calendar app on your phone.
mail-link-expiry = The link works for { $minutes } minutes.
mail-link-ignore = If you did not ask for it, do nothing: without opening the link nobody sees your appointments.
mail-link-open = Open this link:
mail-link-footer = This e-mail is sent automatically. Please do not reply to it. You can ask for another link at { $url }
staff-messages-event-link = Link to “My appointments”

## My appointments: all of a person's appointments and their calendar
mine-title = My appointments
mine-list-title = Your appointments
mine-lead = Type your document and the e-mail address you gave when you booked. We will send that address a link to see all your appointments, in every office, and add them to the calendar on your phone.
mine-document-hint = DNI, NIE or passport, as you typed it when booking.
mine-email-label = E-mail address
mine-email-hint = The same one you gave when you booked.
mine-send = Send me the link
mine-sent-title = Check your e-mail
mine-sent = If there are appointments booked with that document and that address, we have sent it a link. It works for 30 minutes. If it does not arrive within a few minutes, look in your spam folder.
mine-again = Ask for another link
mine-link-expired = This link has expired or is not valid. Ask for another one here.
mine-list-lead = These are your appointments still to come, in every office. For your safety, this page closes 30 minutes after the link was sent.
mine-none = You have no appointments to come.
mine-locator = Locator
mine-manage = To change or cancel an appointment:
mine-calendar-title = Your appointments in your calendar
mine-calendar-lead = Make a calendar link and add it to the calendar app on your phone (Google Calendar, Outlook, Apple Calendar). Your appointments will appear by themselves, and move or go away if they change. Whoever has the link can see your appointments: do not share it.
mine-feed-create = Make a calendar link
mine-feed-created = Calendar link made. Copy it now: it will not be shown again.
mine-feed-link = Calendar link
mine-feed-how = In your calendar app, choose “Add calendar” and “From URL” (or “Subscribe”), and paste the link.
mine-feed-open = Open in my calendar app
mine-feeds-live = Calendar links in use
mine-feed-made = Made on
mine-feed-revoke = Turn off this link
mine-feed-revoked = The calendar link no longer works. Calendars using it will stop updating.
mine-feeds-full = You already have 5 calendar links. Turn one off to make another.
mine-leave = Close
mine-leave-title = When you have finished
mine-leave-lead = Press “Close” so that nobody else sees your appointments on this device. To see them again, ask for another link.
mine-left = Your appointments are closed on this device. To see them again, ask for another link.
mine-error-email-empty = Write your e-mail address.
mine-error-email = That e-mail address does not look right. Write it like this: name@example.com
start-mine = See all my appointments
mine-closed = Your appointments have closed on this device because 30 minutes have passed since you asked for the link. To see them again, ask for another one.
