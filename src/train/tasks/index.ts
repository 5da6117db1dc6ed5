// The configurations `oneprompt train --config NAME` knows. A model configuration joins with one line:
//   registerTask(myTask);
import { registerTask, taskNames } from '../task.js';
import { blobsTask } from './blobs.js';

if (!taskNames().includes(blobsTask.name)) registerTask(blobsTask);

export { getTask, taskNames } from '../task.js';
