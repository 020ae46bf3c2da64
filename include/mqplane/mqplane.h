/**
 * @file mqplane.h
 * @brief Everything of libmqplane in one include.
 */
#ifndef MQPLANE_MQPLANE_H
#define MQPLANE_MQPLANE_H

#include "mqplane/common.h"
#include "mqplane/defaults.h"
#include "mqplane/url.h"
#include "mqplane/topic.h"
#include "mqplane/topics.h"
#include "mqplane/envelope.h"
#include "mqplane/client.h"
#include "mqplane/memory.h"
#include "mqplane/config.h"
#include "mqplane/dataplane.h"
#include "mqplane/controlplane.h"
#include "mqplane/migration.h"
#include "mqplane/detector.h"

#endif
