#include "queue/queue.h"
