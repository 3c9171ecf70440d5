/*
 * The words a person reads on the record's pages for the wire's names: the same words
 * the web client shows (web-client/js/format.js), so the published record and the live
 * meeting speak alike. A name not in a table is shown as it is, never dropped.
 */
#include <string.h>

#include "rooms/export.h"

struct word {
	const char *name, *label;
};

static const struct word groups[] = {
    {"government", "Government"},
    {"private_sector", "Private sector"},
    {"civil_society", "Civil society"},
    {"technical", "Technical community"},
    {"academia", "Academia"},
    {"intergovernmental", "Intergovernmental"},
    {NULL, NULL},
};
static const struct word roles[] = {
    {"chair", "Chair"},
    {"participant", "Participant"},
    {"observer", "Observer"},
    {"captioner", "Captioner"},
    {"venue", "Venue sound desk"},
    {"interpreter", "Interpreter"},
    {NULL, NULL},
};
static const struct word kinds[] = {
    {"speak", "Speak"},	    {"point_of_order", "Point of order"},
    {"clarify", "Clarify"}, {"reply", "Reply"},
    {NULL, NULL},
};
static const struct word chosen[] = {
    {"point_of_order", "Point of order goes first"},
    {"fifo", "First in line"},
    {"groups_round_robin", "Next stakeholder group in turn"},
    {"alternate_location", "Alternating in the room and remote"},
    {"chair", "Chosen by the chair"},
    {NULL, NULL},
};
static const struct word ends[] = {
    {"yielded", "Finished speaking"},
    {"chair", "Ended by the chair"},
    {"time", "Time ran out"},
    {"left", "Left the meeting"},
    {"session_ended", "The session ended"},
    {NULL, NULL},
};
static const struct word lefts[] = {
    {"left", "Left"},
    {"timeout", "Connection lost (not back within the grace period)"},
    {NULL, NULL},
};
static const struct word locations[] = {
    {"room", "In the room"},
    {"remote", "Remote"},
    {NULL, NULL},
};
static const struct word statuses[] = {
    {"scheduled", "Not started"},
    {"live", "Live"},
    {"ended", "Ended"},
    {NULL, NULL},
};
static const struct word levels[] = {
    {"none", "None"},
    {"weak", "Weak"},
    {"moderate", "Moderate"},
    {"strong", "Strong"},
    {"very_strong", "Very strong"},
    {NULL, NULL},
};
static const struct word languages[] = {
    {"en", "English"},	  {"fr", "French"},    {"es", "Spanish"}, {"de", "German"},
    {"ar", "Arabic"},	  {"zh", "Chinese"},   {"ru", "Russian"}, {"pt", "Portuguese"},
    {"it", "Italian"},	  {"ja", "Japanese"},  {"ko", "Korean"},  {"nl", "Dutch"},
    {"sw", "Swahili"},	  {"hi", "Hindi"},     {"tr", "Turkish"}, {"pl", "Polish"},
    {"sv", "Swedish"},	  {"ca", "Catalan"},   {"el", "Greek"},	  {"he", "Hebrew"},
    {"id", "Indonesian"}, {"uk", "Ukrainian"}, {NULL, NULL},
};

static const struct word *const sets[] = {
    [LABEL_GROUP] = groups,	  [LABEL_ROLE] = roles,	     [LABEL_KIND] = kinds,
    [LABEL_CHOSEN] = chosen,	  [LABEL_END] = ends,	     [LABEL_LEFT] = lefts,
    [LABEL_LOCATION] = locations, [LABEL_STATUS] = statuses, [LABEL_LEVEL] = levels,
    [LABEL_LANGUAGE] = languages,
};

const char *label(enum label_set set, const char *name)
{
	if (!name)
		return "";
	for (const struct word *w = sets[set]; w->name; w++)
		if (strcmp(w->name, name) == 0)
			return w->label;
	return name;
}
