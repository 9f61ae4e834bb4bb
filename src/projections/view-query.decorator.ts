import { applyDecorators } from '@nestjs/common';
import { MomentQuery } from '../http/api-docs.js';

/** Documents the asOf / knownAt parameters every read model takes (a date or a date-time with offset). */
export const ViewQuery = () =>
  applyDecorators(
    MomentQuery('asOf', 'Only events that occurred on or before it (a bare date is the end of that day, UTC). Default: now.'),
    MomentQuery('knownAt', 'Only events reported on or before it (a bare date is the end of that day, UTC). Default: now.'),
  );
